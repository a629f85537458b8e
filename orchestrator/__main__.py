from orchestrator.root.cli import main

raise SystemExit(main())
