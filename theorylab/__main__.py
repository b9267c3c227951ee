import sys

try:
    from .cli.main import main
except KeyboardInterrupt:  # Ctrl-C while the libraries load: the same clean exit as during a command
    print("theorylab: error: interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
