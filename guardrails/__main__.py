import sys

from guardrails.report import main

sys.exit(main())
