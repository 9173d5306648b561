import sys

from qa.training.run import main

sys.exit(main())
