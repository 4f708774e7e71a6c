"""Daemon: the scheduled loop, signals and sd_notify (I/O: process, network, disk)."""
