"""Synthesize Terraform for every queue in queues.yaml.

    python main.py [--queues PATH] [--outdir DIR]      (cdktf synth runs it without flags)
"""

import argparse
import os
import sys

from constructs_lib.loader import load_queues
from constructs_lib.problems import LoadError
from constructs_lib.summary import print_summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--queues", default="queues.yaml", help="queue declaration (default: queues.yaml)")
    parser.add_argument("--outdir", default=os.environ.get("CDKTF_OUTDIR", "cdktf.out"), help="output folder (default: cdktf.out)")
    args = parser.parse_args()
    try:
        model = load_queues(args.queues)
    except LoadError as err:
        print(err, file=sys.stderr)
        return 2
    from constructs_lib.app import synth  # cdktf only once the input is known to be good

    synth(model, args.outdir)
    print_summary(model, args.outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
