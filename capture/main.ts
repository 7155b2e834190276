// Stand-alone entry for development: `node dist/capture/main.js --scenario NAME --out DIR`.
// The product entry is `replcheck capture …` (cli/main.ts calls captureMain).
import { captureMain } from "./cli.js";

captureMain(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
