"""The build pipeline: input shards, ops over Arrow tables, and the engines that run them.

A build is: plan shards of the inputs (`shards`) → per shard, read and cut into paragraphs and fingerprint
them (row-local ops, any worker) → deduplicate in reading order (a barrier, in the driver) → spill the kept
paragraphs → per spill, make pairs, assign splits, measure noise (row-local ops) → write shards (the driver's
deterministic sink). Engines (`engine`) only decide where row-local ops run; results come back in input order,
so the bytes written never depend on the engine or the number of workers.
"""
