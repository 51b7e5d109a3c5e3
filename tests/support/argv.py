"""Command lines several test modules share."""

import shlex

#: AlexNet's hardware estimate with two uncertain inputs (the README's band example).
ALEXNET_BAND = shlex.split(
    'estimate hardware --device "GTX 580" --tflops 1.58 --count 2 --days "5 to 6" '
    '--utilization "0.25 to 0.4"'
)

#: A sweep of 2e8 points: streamed, it runs for many seconds (tests stop it long before the end).
BIG_SWEEP = shlex.split(
    "sweep --tflops 1:9:100 --count 1:64:100 --days 1:365:1000log --utilization 0.2:0.5:20"
)
