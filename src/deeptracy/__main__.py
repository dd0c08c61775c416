from deeptracy.cli import main

main()
