"""The `temporal-acceptance` command line (`main.py`): the top layer, it may use every other."""
