import sys

from simco.cli import main

sys.exit(main())
