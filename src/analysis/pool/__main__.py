from analysis.pool.combine import main

main()
