import { describe, expect, it } from 'vitest';
import { SQL_ATTACKS, SQL_BENIGN } from '../../../test/support/arg-corpus.js';
import { createSqlCheck, DEFAULT_DENY_FUNCTIONS } from './sql.js';

const ctx = { cwd: '/' };

describe('sql check', () => {
  it.each(SQL_ATTACKS)('blocks $note ($value) as $expect', ({ value, expect: ruleId, options }) => {
    const check = createSqlCheck(options);
    for (let i = 0; i < 2; i++) expect(check.check(value, ctx)?.ruleId).toBe(ruleId);
  });

  it.each(SQL_BENIGN)('allows $note ($value)', ({ value, options }) => {
    const check = createSqlCheck(options);
    for (let i = 0; i < 2; i++) expect(check.check(value, ctx)).toBeNull();
  });

  it('names the dialect whose reading rejects SQL that another dialect accepts', () => {
    expect(createSqlCheck().check("SELECT '\\'; DROP TABLE t; --'", ctx)?.reason).toBe(
      'SQL contains a second statement after ";" (starting with "DROP") (as read by PostgreSQL)',
    );
    expect(createSqlCheck({ dialect: 'mysql' }).check("SELECT '\\'; DROP TABLE t; --'", ctx)).toBeNull();
  });

  it.each([
    ['postgres', 'SELECT 1 # 2'],
    ['postgres', "SELECT U&'d\\0061t\\+000061'"],
    ['mysql', 'SELECT `a``b` FROM t'],
    ['mysql', 'SELECT 1 /*+ MAX_EXECUTION_TIME(1000) */'],
    ['mysql', 'SELECT 1 -- comment'],
    ['mysql', 'SELECT 1a FROM t'],
    ['mysql', 'SELECT "a\\"b"'],
    ['sqlite', 'SELECT [a]]] FROM t'],
    ['sqlite', 'SELECT `x` FROM t'],
    ['mssql', 'SELECT [a]]b] FROM t'],
    ['mssql', "SELECT @x, N'y'"],
    ['postgres', "SELECT $tag$it's$tag$"],
    ['postgres', 'SELECT a$b FROM t'],
    ['postgres', 'SELECT 1.5e-3'],
    ['postgres', 'SELECT $x FROM t'],
  ] as const)('lexes %s: %s', (dialect, sql) => {
    expect(createSqlCheck({ dialect }).check(sql, ctx)).toBeNull();
  });

  it.each([
    ['mysql', 'SELECT "unterminated', 'args.sql.unterminated'],
    ['mysql', 'SELECT `unterminated', 'args.sql.unterminated'],
    ['mssql', 'SELECT [unterminated', 'args.sql.unterminated'],
    ['postgres', 'SELECT "unterminated', 'args.sql.unterminated'],
    ['postgres', "SELECT E'unterminated", 'args.sql.unterminated'],
    ['mysql', 'SELECT 1 /*M!100000 DROP TABLE t */', 'args.sql.executable-comment'],
    ['mssql', 'SELECT 1 SHUTDOWN', 'args.sql.write'],
    ['postgres', 'SELECT * FROM (SET x = 1)', 'args.sql.write'],
    ['postgres', 'SELECT 1 FROM t WHERE $ = 1; x', 'args.sql.stacked'],
    ['postgres', ';;', 'args.sql.empty'],
    ['postgres', '; SELECT 1', 'args.sql.stacked'],
  ] as const)('rejects %s: %s as %s', (dialect, sql, ruleId) => {
    expect(createSqlCheck({ dialect }).check(sql, ctx)?.ruleId).toBe(ruleId);
  });

  it('lets a configured function list replace the default one', () => {
    const check = createSqlCheck({ denyFunctions: ['my_*', 'exact'] });
    expect(check.check('SELECT my_proc(1)', ctx)?.ruleId).toBe('args.sql.denied-function');
    expect(check.check('SELECT Exact(1)', ctx)?.ruleId).toBe('args.sql.denied-function');
    expect(check.check('SELECT pg_sleep(1)', ctx)).toBeNull();
  });

  it('denies sleeping, file access and code execution by default', () => {
    expect(DEFAULT_DENY_FUNCTIONS).toEqual(expect.arrayContaining(['pg_sleep*', 'sleep', 'load_extension', 'xp_*']));
  });

  it('allows a non-read-only single statement of any kind', () => {
    expect(createSqlCheck({ readOnly: false }).check('DROP TABLE t', ctx)).toBeNull();
  });
});
