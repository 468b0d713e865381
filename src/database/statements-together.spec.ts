import { LastStatement } from './pipelined-transaction';
import { columnsOf, inFewerStatements } from './statements-together';

const stagedTogether = (valuesOfEach: unknown[][]): LastStatement[] => [
  { text: 'stage many', values: columnsOf(valuesOfEach) },
];
const staged = (id: string): LastStatement => ({
  text: 'stage one',
  values: [id, `topic of ${id}`],
  together: stagedTogether,
});

describe('inFewerStatements', () => {
  it('sends the statements of one kind as its statements, where the first of them stood', () => {
    const statements = [
      { text: 'first', values: [] },
      staged('a'),
      { text: 'between', values: [] },
      staged('b'),
      staged('c'),
      { text: 'last', values: [] },
    ];

    expect(inFewerStatements(statements)).toEqual([
      { text: 'first', values: [] },
      {
        text: 'stage many',
        values: [
          ['a', 'b', 'c'],
          ['topic of a', 'topic of b', 'topic of c'],
        ],
      },
      { text: 'between', values: [] },
      { text: 'last', values: [] },
    ]);
  });

  it('sends a kind with one statement as it is, and statements of no kind as they are', () => {
    const statements = [{ text: 'plain', values: [1] }, staged('a')];

    expect(inFewerStatements(statements)).toEqual(statements);
  });
});
