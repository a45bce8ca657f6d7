"""Chapter experiments, one module per experiment (book: each module names its section). Import the module you
need, e.g. ``from dlcourse.experiments.scale import run_scale_experiment``; nothing is re-exported here, so
importing one experiment never pays for another."""
