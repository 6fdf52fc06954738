set terminal pngcairo size 900,600
set output 'docs/results/fleet/offload_over_time.png'
set termoption noenhanced
set datafile separator ','
set grid
set key bottom right
set title 'offload rate (%) over time'
set xlabel 'seconds'
set ylabel 'offload rate (%)'
set key bottom left
plot 'docs/results/fleet/offload_over_time.csv' using 2:($1==0?$3:1/0) with lines lw 2 title 'fixed 10', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==1?$3:1/0) with lines lw 2 title 'fixed 30', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==2?$3:1/0) with lines lw 2 title 'fixed 100', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==3?$3:1/0) with lines lw 2 title 'fixed 300', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==4?$3:1/0) with lines lw 2 title 'fixed 600', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==5?$3:1/0) with lines lw 2 title 'fixed 1000', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==6?$3:1/0) with lines lw 2 title 'load_aware 10', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==7?$3:1/0) with lines lw 2 title 'load_aware 30', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==8?$3:1/0) with lines lw 2 title 'load_aware 100', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==9?$3:1/0) with lines lw 2 title 'load_aware 300', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==10?$3:1/0) with lines lw 2 title 'load_aware 600', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==11?$3:1/0) with lines lw 2 title 'load_aware 1000', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==12?$3:1/0) with lines lw 2 title 'server_set 10', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==13?$3:1/0) with lines lw 2 title 'server_set 30', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==14?$3:1/0) with lines lw 2 title 'server_set 100', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==15?$3:1/0) with lines lw 2 title 'server_set 300', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==16?$3:1/0) with lines lw 2 title 'server_set 600', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==17?$3:1/0) with lines lw 2 title 'server_set 1000'
set terminal svg size 900,600
set output 'docs/results/fleet/offload_over_time.svg'
set termoption noenhanced
set datafile separator ','
set grid
set key bottom right
set title 'offload rate (%) over time'
set xlabel 'seconds'
set ylabel 'offload rate (%)'
set key bottom left
plot 'docs/results/fleet/offload_over_time.csv' using 2:($1==0?$3:1/0) with lines lw 2 title 'fixed 10', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==1?$3:1/0) with lines lw 2 title 'fixed 30', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==2?$3:1/0) with lines lw 2 title 'fixed 100', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==3?$3:1/0) with lines lw 2 title 'fixed 300', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==4?$3:1/0) with lines lw 2 title 'fixed 600', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==5?$3:1/0) with lines lw 2 title 'fixed 1000', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==6?$3:1/0) with lines lw 2 title 'load_aware 10', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==7?$3:1/0) with lines lw 2 title 'load_aware 30', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==8?$3:1/0) with lines lw 2 title 'load_aware 100', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==9?$3:1/0) with lines lw 2 title 'load_aware 300', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==10?$3:1/0) with lines lw 2 title 'load_aware 600', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==11?$3:1/0) with lines lw 2 title 'load_aware 1000', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==12?$3:1/0) with lines lw 2 title 'server_set 10', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==13?$3:1/0) with lines lw 2 title 'server_set 30', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==14?$3:1/0) with lines lw 2 title 'server_set 100', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==15?$3:1/0) with lines lw 2 title 'server_set 300', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==16?$3:1/0) with lines lw 2 title 'server_set 600', \
     'docs/results/fleet/offload_over_time.csv' using 2:($1==17?$3:1/0) with lines lw 2 title 'server_set 1000'
