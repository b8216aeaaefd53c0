from churnwatch.launch import main

main()
