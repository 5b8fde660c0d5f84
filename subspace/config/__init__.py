"""The workflow's configuration: one typed model (:mod:`.model`, :mod:`.demo`), its cross-field checks
(:mod:`.checks`, :mod:`.encoders`), :func:`.load.load` with every problem at once, the generated schema and
key tables (:mod:`.docs`), and which config file set a key (:mod:`.files`).

Nothing is imported here, so a job that needs only the model's defaults does not load the checks.
"""
