"""Pipeline: the jobs that join stages — refresh a feed, the cluster pass, the publish pass, audit
(I/O through store/ and fetch/).
"""
