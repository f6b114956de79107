module tally/bench/peer

go 1.19
