from epimanager.cli.main import main

raise SystemExit(main())
