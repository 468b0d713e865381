import { QueryFailedError, QueryRunnerAlreadyReleasedError } from 'typeorm';
import { isConnectionError } from './connection-errors';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('isConnectionError', () => {
  it.each([
    ['a refused connect', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a reset socket', withCode('read ECONNRESET', 'ECONNRESET')],
    ['a pool with no connection in time', new Error('timeout exceeded when trying to connect')],
    ['a connection cut mid-query', new Error('Connection terminated unexpectedly')],
    ['a connect that timed out', new Error('Connection terminated due to connection timeout')],
    ['a query with no answer in time', new Error('Query read timeout')],
    [
      'a client closed after its connection failed',
      new Error('Client was closed and is not queryable'),
    ],
    ['an admin shutdown', withCode('terminating connection due to administrator command', '57P01')],
    ['a crash shutdown', withCode('terminating connection because of crash', '57P02')],
    ['a server starting up', withCode('the database system is starting up', '57P03')],
    ['a connection exception', withCode('connection failure', '08006')],
    [
      'a connect tried on two addresses',
      Object.assign(new AggregateError([withCode('connect ECONNREFUSED ::1', 'ECONNREFUSED')]), {
        code: undefined,
      }),
    ],
    [
      'a statement on a query runner TypeORM released when its connection failed',
      new QueryRunnerAlreadyReleasedError(),
    ],
    [
      'TypeORM wrapping an admin shutdown',
      new QueryFailedError('SELECT 1', [], withCode('terminating connection', '57P01')),
    ],
  ])('recognizes %s', (_, error) => {
    expect(isConnectionError(error)).toBe(true);
  });

  it.each([
    ['a unique violation', new QueryFailedError('INSERT', [], withCode('duplicate key', '23505'))],
    ['a syntax error', new QueryFailedError('SELEC', [], withCode('syntax error', '42601'))],
    ['a lock timeout', new QueryFailedError('UPDATE', [], withCode('lock timeout', '55P03'))],
    ['a domain failure', new Error('Product SKU-1 has 2 left, 5 requested')],
    ['nothing', undefined],
  ])('leaves alone %s', (_, error) => {
    expect(isConnectionError(error)).toBe(false);
  });
});
