set terminal pngcairo size 900,600
set output 'docs/results/reliability.png'
set termoption noenhanced
set datafile separator ','
set grid
set key bottom right
set title 'Reliability diagram, S-ML on test'
set xlabel 'mean confidence'
set ylabel 'accuracy'
set xrange [0:1]
set yrange [0:1]
set key top left
plot 'docs/results/reliability.csv' using 2:($1==0?$3:1/0) with linespoints lw 2 title 'before (T = 1)', \
     'docs/results/reliability.csv' using 2:($1==1?$3:1/0) with linespoints lw 2 title 'after temperature scaling', x with lines dt 2 lc rgb 'gray' title 'perfect calibration'
set terminal svg size 900,600
set output 'docs/results/reliability.svg'
set termoption noenhanced
set datafile separator ','
set grid
set key bottom right
set title 'Reliability diagram, S-ML on test'
set xlabel 'mean confidence'
set ylabel 'accuracy'
set xrange [0:1]
set yrange [0:1]
set key top left
plot 'docs/results/reliability.csv' using 2:($1==0?$3:1/0) with linespoints lw 2 title 'before (T = 1)', \
     'docs/results/reliability.csv' using 2:($1==1?$3:1/0) with linespoints lw 2 title 'after temperature scaling', x with lines dt 2 lc rgb 'gray' title 'perfect calibration'
