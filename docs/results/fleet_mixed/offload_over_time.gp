set terminal pngcairo size 900,600
set output 'docs/results/fleet_mixed/offload_over_time.png'
set termoption noenhanced
set datafile separator ','
set grid
set key bottom right
set title 'offload rate (%) over time'
set xlabel 'seconds'
set ylabel 'offload rate (%)'
set key bottom left
plot 'docs/results/fleet_mixed/offload_over_time.csv' using 2:($1==0?$3:1/0) with lines lw 2 title 'fixed 1000', \
     'docs/results/fleet_mixed/offload_over_time.csv' using 2:($1==1?$3:1/0) with lines lw 2 title 'server_set 1000'
set terminal svg size 900,600
set output 'docs/results/fleet_mixed/offload_over_time.svg'
set termoption noenhanced
set datafile separator ','
set grid
set key bottom right
set title 'offload rate (%) over time'
set xlabel 'seconds'
set ylabel 'offload rate (%)'
set key bottom left
plot 'docs/results/fleet_mixed/offload_over_time.csv' using 2:($1==0?$3:1/0) with lines lw 2 title 'fixed 1000', \
     'docs/results/fleet_mixed/offload_over_time.csv' using 2:($1==1?$3:1/0) with lines lw 2 title 'server_set 1000'
