import { createBenchDatabase } from './db';
createBenchDatabase('postgres://postgres@127.0.0.1:5437/postgres', process.argv[2]!, 32, (m) => console.error(m)).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
