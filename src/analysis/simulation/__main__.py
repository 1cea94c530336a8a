import sys

from analysis.simulation.simulate import main

sys.exit(main())
