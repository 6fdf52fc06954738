set terminal pngcairo size 900,600
set output 'docs/results/online_threshold.png'
set termoption noenhanced
set datafile separator ','
set grid
set key bottom right
set title 'Online threshold learning: mean threshold'
set xlabel 'samples'
set ylabel 'mean theta'
set key bottom right
plot 'docs/results/online_threshold.csv' using 2:($1==0?$3:1/0) with lines lw 2 title 'stationary', \
     'docs/results/online_threshold.csv' using 2:($1==1?$3:1/0) with lines lw 2 title 'shift'
set terminal svg size 900,600
set output 'docs/results/online_threshold.svg'
set termoption noenhanced
set datafile separator ','
set grid
set key bottom right
set title 'Online threshold learning: mean threshold'
set xlabel 'samples'
set ylabel 'mean theta'
set key bottom right
plot 'docs/results/online_threshold.csv' using 2:($1==0?$3:1/0) with lines lw 2 title 'stationary', \
     'docs/results/online_threshold.csv' using 2:($1==1?$3:1/0) with lines lw 2 title 'shift'
