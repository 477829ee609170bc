/**
 * Short English sentences with emotionally neutral content, so that (as in EmoDB) only the way
 * they are spoken carries the emotion. Plain ASCII without `&`, `<` or `>`.
 */
export const SENTENCES: readonly string[] = [
  'The train leaves the station at seven tomorrow morning.',
  'I put the blue folder on the kitchen table.',
  'We are going to visit my sister on Sunday.',
  'The meeting has been moved to Thursday afternoon.',
  'She said the results would arrive by tonight.',
  'There is a new bakery around the corner.',
  'He painted the fence in the garden last week.',
  'The package is waiting for you at the front desk.',
  'They have sold the old car to our neighbour.',
  'You can find the keys in the top drawer.',
  'It will probably rain again this evening.',
  'The children are walking home from school now.',
];
