module tally/bench/netpeer

go 1.19
