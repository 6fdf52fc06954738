set terminal pngcairo size 900,600
set output 'docs/results/cost_vs_beta.png'
set termoption noenhanced
set datafile separator ','
set grid
set key bottom right
set title 'Cost against offload cost beta (theta* from validation, test)'
set xlabel 'beta'
set ylabel 'mean cost per image'
set key top left
plot 'docs/results/cost_vs_beta.csv' using 2:($1==0?$3:1/0) with linespoints lw 2 title 'max_softmax', \
     'docs/results/cost_vs_beta.csv' using 2:($1==1?$3:1/0) with linespoints lw 2 title 'margin', \
     'docs/results/cost_vs_beta.csv' using 2:($1==2?$3:1/0) with linespoints lw 2 title 'neg_entropy', \
     'docs/results/cost_vs_beta.csv' using 2:($1==3?$3:1/0) with linespoints lw 2 title 'logistic_top2', \
     'docs/results/cost_vs_beta.csv' using 2:($1==4?$3:1/0) with lines lw 2 title 'full offload', \
     'docs/results/cost_vs_beta.csv' using 2:($1==5?$3:1/0) with lines lw 2 title 'no offload'
set terminal svg size 900,600
set output 'docs/results/cost_vs_beta.svg'
set termoption noenhanced
set datafile separator ','
set grid
set key bottom right
set title 'Cost against offload cost beta (theta* from validation, test)'
set xlabel 'beta'
set ylabel 'mean cost per image'
set key top left
plot 'docs/results/cost_vs_beta.csv' using 2:($1==0?$3:1/0) with linespoints lw 2 title 'max_softmax', \
     'docs/results/cost_vs_beta.csv' using 2:($1==1?$3:1/0) with linespoints lw 2 title 'margin', \
     'docs/results/cost_vs_beta.csv' using 2:($1==2?$3:1/0) with linespoints lw 2 title 'neg_entropy', \
     'docs/results/cost_vs_beta.csv' using 2:($1==3?$3:1/0) with linespoints lw 2 title 'logistic_top2', \
     'docs/results/cost_vs_beta.csv' using 2:($1==4?$3:1/0) with lines lw 2 title 'full offload', \
     'docs/results/cost_vs_beta.csv' using 2:($1==5?$3:1/0) with lines lw 2 title 'no offload'
