set terminal pngcairo size 900,600
set output 'docs/results/fleet_mixed/offload_by_size.png'
set termoption noenhanced
set datafile separator ','
set grid
set key bottom right
set title 'offload rate (%) against fleet size'
set xlabel 'devices'
set ylabel 'offload rate (%)'
set logscale x; set key bottom left
plot 'docs/results/fleet_mixed/offload_by_size.csv' using 2:($1==0?$3:1/0) with linespoints lw 2 title 'fixed', \
     'docs/results/fleet_mixed/offload_by_size.csv' using 2:($1==1?$3:1/0) with linespoints lw 2 title 'server_set'
set terminal svg size 900,600
set output 'docs/results/fleet_mixed/offload_by_size.svg'
set termoption noenhanced
set datafile separator ','
set grid
set key bottom right
set title 'offload rate (%) against fleet size'
set xlabel 'devices'
set ylabel 'offload rate (%)'
set logscale x; set key bottom left
plot 'docs/results/fleet_mixed/offload_by_size.csv' using 2:($1==0?$3:1/0) with linespoints lw 2 title 'fixed', \
     'docs/results/fleet_mixed/offload_by_size.csv' using 2:($1==1?$3:1/0) with linespoints lw 2 title 'server_set'
