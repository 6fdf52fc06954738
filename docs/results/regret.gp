set terminal pngcairo size 900,600
set output 'docs/results/regret.png'
set termoption noenhanced
set datafile separator ','
set grid
set key bottom right
set title 'Online threshold learning: regret against the best fixed theta'
set xlabel 'samples'
set ylabel 'regret (cumulative)'
set key top left
plot 'docs/results/regret.csv' using 2:($1==0?$3:1/0) with lines lw 2 title 'stationary', \
     'docs/results/regret.csv' using 2:($1==1?$3:1/0) with lines lw 2 title 'shift'
set terminal svg size 900,600
set output 'docs/results/regret.svg'
set termoption noenhanced
set datafile separator ','
set grid
set key bottom right
set title 'Online threshold learning: regret against the best fixed theta'
set xlabel 'samples'
set ylabel 'regret (cumulative)'
set key top left
plot 'docs/results/regret.csv' using 2:($1==0?$3:1/0) with lines lw 2 title 'stationary', \
     'docs/results/regret.csv' using 2:($1==1?$3:1/0) with lines lw 2 title 'shift'
