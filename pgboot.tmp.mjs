import { PGlite } from '@electric-sql/pglite';
const t0=performance.now(); const db=await PGlite.create('memory://'); const t1=performance.now();
await db.query('select 1'); console.log('create ms', (t1-t0).toFixed(0), 'cpu', process.cpuUsage().user/1000|0);
const tar = await db.dumpDataDir('none'); console.log('dump bytes', tar.size, 'ms', (performance.now()-t1).toFixed(0));
const t2=performance.now(); const db2=await PGlite.create({dataDir:'memory://', loadDataDir: tar}); await db2.query('select 1'); console.log('load ms',(performance.now()-t2).toFixed(0));
