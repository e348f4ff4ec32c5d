#!/usr/bin/env node
/*
 * Runs pgTAP files against a fresh clone of the test template and prints one JSON object:
 * { files: { "name.sql": { tap: [lines], error: null | "message" } } }.
 * Spawned synchronously by test/sql.test.ts so that jest can name one test per assertion.
 * Each file runs on its own connection; files wrap themselves in begin ... rollback.
 */
'use strict';
const { readFileSync } = require('node:fs');
const { basename, join } = require('node:path');
const { randomBytes } = require('node:crypto');
const { Client } = require('pg');

async function main() {
  const [adminUrl, template, ...files] = process.argv.slice(2);
  const name = `${template.replace(/_tpl$/, '')}_sql_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${admin.escapeIdentifier(name)} template ${admin.escapeIdentifier(template)} owner llm_owner`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  // Database-level grants are not copied from a template: apply them as a real database gets them.
  const grants = new Client({ connectionString: url.toString() });
  await grants.connect();
  await grants.query(readFileSync(join(__dirname, '..', '..', 'sql', 'bootstrap', 'database.sql'), 'utf8')
    .replace(/__DATABASE__/g, grants.escapeIdentifier(name)));
  await grants.end();
  const out = { files: {} };
  try {
    for (const file of files) {
      const client = new Client({ connectionString: url.toString() });
      await client.connect();
      const notices = [];
      client.on('notice', (n) => notices.push(n.message));
      const entry = { tap: [], error: null };
      try {
        const res = await client.query(readFileSync(file, 'utf8'));
        for (const r of Array.isArray(res) ? res : [res]) {
          for (const row of r.rows || []) {
            const v = Object.values(row)[0];
            if (typeof v === 'string') entry.tap.push(...v.split('\n'));
          }
        }
      } catch (e) {
        entry.error = `${e.code || ''} ${e.message}${e.detail ? `\nDETAIL: ${e.detail}` : ''}${e.where ? `\nWHERE: ${e.where}` : ''}`;
        await client.query('rollback').catch(() => {});
      } finally {
        entry.notices = notices;
        await client.end();
      }
      out.files[basename(file)] = entry;
    }
  } finally {
    await admin.query(`drop database if exists ${admin.escapeIdentifier(name)} with (force)`);
    await admin.end();
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  process.stderr.write(`run-pgtap: ${e.stack || e}\n`);
  process.exit(1);
});
