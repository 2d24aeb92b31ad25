import warnings

import dagster as dg

# BackfillPolicy is "beta" in Dagster 1.13, yet it is the documented way to run a range in one run.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
