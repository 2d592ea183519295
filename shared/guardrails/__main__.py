import sys

from shared.guardrails.report import main

sys.exit(main())
