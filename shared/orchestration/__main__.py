import sys

from shared.orchestration.cli import main

sys.exit(main())
