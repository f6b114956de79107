set terminal svg size 1440,280 dynamic font 'sans,9' background rgb 'white'
set output 'cost-icount.svg'
set multiplot layout 1,4 title "Cost per operation by class, icount mode (instructions/op; latencies in ns)" noenhanced
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border rgb '#404040'
set boxwidth 0.7
set yrange [0:*]
set xtics font ',7' nomirror noenhanced
set datafile separator '\t'
unset key
set key top left font ',7' noenhanced
set title 'GCAlloc64-1' noenhanced
plot 'cost-icount.dat' index 0 using 2:xtic(1) title 'kern' lc rgb '#d62728', '' index 0 using 3 title 'rt' lc rgb '#ff7f0e', '' index 0 using 4 title 'user' lc rgb '#2ca02c', '' index 0 using 5 title 'idle' lc rgb '#d0d0d0'
unset key
set title 'BinaryTrees-1' noenhanced
plot 'cost-icount.dat' index 1 using 2:xtic(1) title 'kern' lc rgb '#d62728', '' index 1 using 3 title 'rt' lc rgb '#ff7f0e', '' index 1 using 4 title 'user' lc rgb '#2ca02c', '' index 1 using 5 title 'idle' lc rgb '#d0d0d0'
unset multiplot
