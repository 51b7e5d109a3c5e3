"""Small tables with each known layout's real column names (no real dataset is committed)."""

#: Epoch AI "AI Models" export (2024-): BOM, multi-line quoted cells, every confidence level.
EPOCH = (
    "\ufeffModel,Domain,Organization,Publication date,Parameters,Training compute (FLOP),"
    "Training compute notes,Training hardware,Hardware quantity,Training time (hours),"
    "Hardware utilization (MFU),Confidence,Training compute lower bound,"
    "Training compute upper bound,Numerical format\n"
    'GPT-3 175B (davinci),Language,OpenAI,2020-05-28,1.75E+11,3.14E+23,"6 x 175B x 300B\n'
    'tokens, see ""Table D.1""",NVIDIA Tesla V100 DGX-2,10000,355.2,0.2,Confident,,,FP16\n'
    "PaLM (540B),Language,Google,2022-04-04,5.4E+11,2.53E+24,,Google TPU v4,6144,1200,0.462,"
    "Likely,2.0E+24,3.0E+24,BF16\n"
    "Speculative one,Vision,X,2019-01-01,1E+9,1E+21,,,,,,Speculative,,,\n"
    "Unknown one,Vision,X,2019-02-01,,1E+20,,,,,,Unknown,,,\n"
    "Blank one,Vision,X,2019-03-01,,N/A,,,,,,,,,\n"
)

#: Epoch PCD export (2022-2023): ';' delimiter, DD/MM/YYYY dates, thousands separators.
PCD = (
    "System;Domain;Publication date;Parameters;Training compute (FLOPs);Training hardware;"
    "Confidence\n"
    "AlexNet;Vision;30/09/2012;60,000,000;4.7E+17;NVIDIA GeForce GTX 580;Confident\n"
    "Transformer;Language;12/06/2017;213 000 000;7.4E+18;NVIDIA Tesla P100;Likely\n"
    'GPT-2;Language;14/02/2019;1.500.000.000;"1,5E+21";;Speculative\n'
)

CHART = "System,Publication date,Petaflop/s-days\nAlexNet,2012-09-30,0.0058\nAlphaGo Zero,2017-10-18,1860\n"
