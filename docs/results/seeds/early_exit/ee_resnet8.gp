set terminal pngcairo size 900,600
set output 'docs/results/seeds/early_exit/ee_resnet8.png'
set termoption noenhanced
set datafile separator ','
set grid
set key bottom right
set title 'Accuracy vs device latency, resnet8 (test, measured here)'
set xlabel 'mean latency per sample (ms)'
set ylabel 'accuracy'
set key bottom right
plot 'docs/results/seeds/early_exit/ee_resnet8.csv' using 2:($1==0?$3:1/0) with points lw 2 title 'base (S-ML alone)', \
     'docs/results/seeds/early_exit/ee_resnet8.csv' using 2:($1==1?$3:1/0) with linespoints lw 2 title 'HI (theta sweep)', \
     'docs/results/seeds/early_exit/ee_resnet8.csv' using 2:($1==2?$3:1/0) with linespoints lw 2 title 'EE (exit threshold sweep)', \
     'docs/results/seeds/early_exit/ee_resnet8.csv' using 2:($1==3?$3:1/0) with linespoints lw 2 title 'EE-HI (searched per target)', \
     'docs/results/seeds/early_exit/ee_resnet8.csv' using 2:($1==4?$3:1/0) with points lw 2 title 'remote (L-ML)'
set terminal svg size 900,600
set output 'docs/results/seeds/early_exit/ee_resnet8.svg'
set termoption noenhanced
set datafile separator ','
set grid
set key bottom right
set title 'Accuracy vs device latency, resnet8 (test, measured here)'
set xlabel 'mean latency per sample (ms)'
set ylabel 'accuracy'
set key bottom right
plot 'docs/results/seeds/early_exit/ee_resnet8.csv' using 2:($1==0?$3:1/0) with points lw 2 title 'base (S-ML alone)', \
     'docs/results/seeds/early_exit/ee_resnet8.csv' using 2:($1==1?$3:1/0) with linespoints lw 2 title 'HI (theta sweep)', \
     'docs/results/seeds/early_exit/ee_resnet8.csv' using 2:($1==2?$3:1/0) with linespoints lw 2 title 'EE (exit threshold sweep)', \
     'docs/results/seeds/early_exit/ee_resnet8.csv' using 2:($1==3?$3:1/0) with linespoints lw 2 title 'EE-HI (searched per target)', \
     'docs/results/seeds/early_exit/ee_resnet8.csv' using 2:($1==4?$3:1/0) with points lw 2 title 'remote (L-ML)'
