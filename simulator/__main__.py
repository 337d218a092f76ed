from simulator.server.cli import main

raise SystemExit(main())
