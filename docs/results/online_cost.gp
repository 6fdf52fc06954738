set terminal pngcairo size 900,600
set output 'docs/results/online_cost.png'
set termoption noenhanced
set datafile separator ','
set grid
set key bottom right
set title 'Online threshold learning: cumulative cost'
set xlabel 'samples'
set ylabel 'cumulative cost (beta per offload, 1 per accepted disagreement)'
set key top left
plot 'docs/results/online_cost.csv' using 2:($1==0?$3:1/0) with lines lw 2 title 'stationary: learner', \
     'docs/results/online_cost.csv' using 2:($1==1?$3:1/0) with lines lw 2 title 'stationary: best fixed theta in hindsight', \
     'docs/results/online_cost.csv' using 2:($1==2?$3:1/0) with lines lw 2 title 'shift: learner', \
     'docs/results/online_cost.csv' using 2:($1==3?$3:1/0) with lines lw 2 title 'shift: best fixed theta in hindsight'
set terminal svg size 900,600
set output 'docs/results/online_cost.svg'
set termoption noenhanced
set datafile separator ','
set grid
set key bottom right
set title 'Online threshold learning: cumulative cost'
set xlabel 'samples'
set ylabel 'cumulative cost (beta per offload, 1 per accepted disagreement)'
set key top left
plot 'docs/results/online_cost.csv' using 2:($1==0?$3:1/0) with lines lw 2 title 'stationary: learner', \
     'docs/results/online_cost.csv' using 2:($1==1?$3:1/0) with lines lw 2 title 'stationary: best fixed theta in hindsight', \
     'docs/results/online_cost.csv' using 2:($1==2?$3:1/0) with lines lw 2 title 'shift: learner', \
     'docs/results/online_cost.csv' using 2:($1==3?$3:1/0) with lines lw 2 title 'shift: best fixed theta in hindsight'
