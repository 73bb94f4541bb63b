"""The build pipeline: the steps (`steps`), the input shards they run over (`shards`), the engines that run
row-local steps (`engine`), and the build that strings them together (`build`).

A build is: plan shards of the inputs → per shard, on the workers, the row-local steps the recipe lists first
(read and triage paragraphs, fingerprint them) → in the driver, in reading order, the barriers (unique ids,
dedup) → spill the kept paragraphs → mining, if listed → per spill file, on the workers, pairs, splits and noise
measures → write shards (the driver's deterministic sink) → the card's driver steps. Results come back in input
order, so the bytes written never depend on the engine or the number of workers.
"""
