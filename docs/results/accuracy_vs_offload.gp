set terminal pngcairo size 900,600
set output 'docs/results/accuracy_vs_offload.png'
set termoption noenhanced
set datafile separator ','
set grid
set key bottom right
set title 'Accuracy against offload fraction (test)'
set xlabel 'fraction offloaded'
set ylabel 'accuracy'
set key bottom right
plot 'docs/results/accuracy_vs_offload.csv' using 2:($1==0?$3:1/0) with lines lw 2 title 'max_softmax', \
     'docs/results/accuracy_vs_offload.csv' using 2:($1==1?$3:1/0) with lines lw 2 title 'margin', \
     'docs/results/accuracy_vs_offload.csv' using 2:($1==2?$3:1/0) with lines lw 2 title 'neg_entropy', \
     'docs/results/accuracy_vs_offload.csv' using 2:($1==3?$3:1/0) with lines lw 2 title 'logistic_top2', \
     'docs/results/accuracy_vs_offload.csv' using 2:($1==4?$3:1/0) with lines lw 2 title 'max_softmax+T', \
     'docs/results/accuracy_vs_offload.csv' using 2:($1==5?$3:1/0) with lines lw 2 title 'margin+T', \
     'docs/results/accuracy_vs_offload.csv' using 2:($1==6?$3:1/0) with lines lw 2 title 'neg_entropy+T', \
     'docs/results/accuracy_vs_offload.csv' using 2:($1==7?$3:1/0) with lines lw 2 title 'logistic_top2+T'
set terminal svg size 900,600
set output 'docs/results/accuracy_vs_offload.svg'
set termoption noenhanced
set datafile separator ','
set grid
set key bottom right
set title 'Accuracy against offload fraction (test)'
set xlabel 'fraction offloaded'
set ylabel 'accuracy'
set key bottom right
plot 'docs/results/accuracy_vs_offload.csv' using 2:($1==0?$3:1/0) with lines lw 2 title 'max_softmax', \
     'docs/results/accuracy_vs_offload.csv' using 2:($1==1?$3:1/0) with lines lw 2 title 'margin', \
     'docs/results/accuracy_vs_offload.csv' using 2:($1==2?$3:1/0) with lines lw 2 title 'neg_entropy', \
     'docs/results/accuracy_vs_offload.csv' using 2:($1==3?$3:1/0) with lines lw 2 title 'logistic_top2', \
     'docs/results/accuracy_vs_offload.csv' using 2:($1==4?$3:1/0) with lines lw 2 title 'max_softmax+T', \
     'docs/results/accuracy_vs_offload.csv' using 2:($1==5?$3:1/0) with lines lw 2 title 'margin+T', \
     'docs/results/accuracy_vs_offload.csv' using 2:($1==6?$3:1/0) with lines lw 2 title 'neg_entropy+T', \
     'docs/results/accuracy_vs_offload.csv' using 2:($1==7?$3:1/0) with lines lw 2 title 'logistic_top2+T'
