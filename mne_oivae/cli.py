"""Command line: ``mne-oivae demo {bars,meg,mocap}``."""

import argparse
import importlib
import sys
from pathlib import Path

DEMOS = {
    "bars": "fit the paper's bars experiment (embedded data, no download)",
    "meg": "find planted functional networks in simulated MEG source estimates",
    "mocap": "fit CMU subject-7 walking trials and list joints per component",
}


def main(argv=None):
    """Entry point of the ``mne-oivae`` console script."""
    parser = argparse.ArgumentParser(prog="mne-oivae", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run a demonstration fit")
    demo.add_argument("name", choices=sorted(DEMOS),
                      help="; ".join(f"{k}: {v}" for k, v in DEMOS.items()))
    demo.add_argument("--out", type=Path, default=Path("."),
                      help="folder for the figures (default: current folder)")
    demo.add_argument("--quick", action="store_true",
                      help="a short fit, for smoke tests (results are rough)")
    demo.add_argument("--accept-hcpmmp-license", action="store_true",
                      help="meg: accept the HCP-MMP1 license terms for a first download "
                           "of the parcellation (otherwise MNE asks on the console)")
    demo.add_argument("--subjects-dir", type=Path, default=None,
                      help="meg: FreeSurfer subjects folder holding fsaverage (default: "
                           "SUBJECTS_DIR, else a download)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    module = importlib.import_module(f"mne_oivae._demo.{args.name}")
    extra = ({"accept": args.accept_hcpmmp_license, "subjects_dir": args.subjects_dir}
             if args.name == "meg" else {})
    try:
        module.run(args.out, quick=args.quick, **extra)
    except FileNotFoundError as err:  # data a demo needs and could not find or fetch
        print(f"mne-oivae demo {args.name}: {err}", file=sys.stderr)  # no traceback
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
