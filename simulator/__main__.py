import sys

from computesim.cli import main

sys.exit(main())
