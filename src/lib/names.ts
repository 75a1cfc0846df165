/**
 * Random container names in the style of moby's namesgenerator ("adjective_surname"),
 * and Docker's container-name validation.
 */

const ADJECTIVES = [
  'admiring', 'adoring', 'affectionate', 'agile', 'amazing', 'amused', 'angry', 'awesome',
  'beautiful', 'blissful', 'bold', 'boring', 'brave', 'brilliant', 'busy', 'calm',
  'careful', 'charming', 'cheerful', 'clever', 'cool', 'compassionate', 'competent', 'confident',
  'cranky', 'crazy', 'curious', 'dazzling', 'determined', 'diligent', 'distracted', 'dreamy',
  'eager', 'earnest', 'ecstatic', 'elastic', 'elated', 'elegant', 'eloquent', 'epic',
  'exciting', 'fervent', 'festive', 'flamboyant', 'focused', 'friendly', 'frosty', 'funny',
  'gallant', 'generous', 'gentle', 'gifted', 'goofy', 'gracious', 'great', 'happy',
  'hardcore', 'heuristic', 'hopeful', 'humble', 'hungry', 'infallible', 'inspiring', 'intelligent',
  'interesting', 'jolly', 'jovial', 'keen', 'kind', 'laughing', 'lively', 'loving',
  'lucid', 'magical', 'modest', 'musing', 'mystifying', 'naughty', 'nervous', 'nice',
  'nifty', 'nimble', 'nostalgic', 'objective', 'optimistic', 'patient', 'peaceful', 'pedantic',
  'pensive', 'playful', 'practical', 'priceless', 'quirky', 'quizzical', 'radiant', 'recursing',
  'relaxed', 'reverent', 'romantic', 'sad', 'serene', 'sharp', 'silly', 'sleepy',
  'spirited', 'steady', 'stoic', 'strange', 'stupefied', 'suspicious', 'sweet', 'tender',
  'thirsty', 'thoughtful', 'tidy', 'trusting', 'unruffled', 'upbeat', 'vibrant', 'vigilant',
  'vigorous', 'wizardly', 'wonderful', 'xenodochial', 'youthful', 'zealous', 'zen',
] as const;

// Scientists, engineers and hackers, famous or unjustly less so.
const SURNAMES = [
  'agnesi', 'albattani', 'allen', 'almeida', 'antonelli', 'archimedes', 'ardinghelli', 'aryabhata',
  'austin', 'babbage', 'banach', 'banzai', 'bardeen', 'bartik', 'bassi', 'beaver',
  'bell', 'benz', 'bhabha', 'bhaskara', 'black', 'blackburn', 'blackwell', 'bohr',
  'booth', 'borg', 'bose', 'bouman', 'boyd', 'brahmagupta', 'brattain', 'brown',
  'buck', 'burnell', 'cannon', 'carson', 'cartwright', 'carver', 'cerf', 'chandrasekhar',
  'chaplygin', 'chatelet', 'chatterjee', 'chaum', 'chebyshev', 'clarke', 'cohen', 'colden',
  'cori', 'cray', 'curie', 'curran', 'darwin', 'davinci', 'dewdney', 'dhawan',
  'diffie', 'dijkstra', 'dirac', 'driscoll', 'dubinsky', 'easley', 'edison', 'einstein',
  'elbakyan', 'elgamal', 'elion', 'ellis', 'engelbart', 'euclid', 'euler', 'faraday',
  'feistel', 'fermat', 'fermi', 'feynman', 'franklin', 'gagarin', 'galileo', 'galois',
  'ganguly', 'gates', 'gauss', 'germain', 'goldberg', 'goldstine', 'goldwasser', 'golick',
  'goodall', 'gould', 'greider', 'grothendieck', 'haibt', 'hamilton', 'haslett', 'hawking',
  'heisenberg', 'hellman', 'hermann', 'herschel', 'hertz', 'heyrovsky', 'hodgkin', 'hofstadter',
  'hoover', 'hopper', 'hugle', 'hypatia', 'ishizaka', 'jackson', 'jang', 'jemison',
  'jennings', 'jepsen', 'johnson', 'joliot', 'jones', 'kalam', 'kapitsa', 'kare',
  'keldysh', 'keller', 'kepler', 'khayyam', 'khorana', 'kilby', 'kirch', 'knuth',
  'kowalevski', 'lalande', 'lamarr', 'lamport', 'leakey', 'leavitt', 'lederberg', 'lehmann',
  'lewin', 'lichterman', 'liskov', 'lovelace', 'lumiere', 'mahavira', 'margulis', 'matsumoto',
  'maxwell', 'mayer', 'mccarthy', 'mcclintock', 'mclaren', 'mclean', 'mcnulty', 'meitner',
  'mendel', 'mendeleev', 'meninsky', 'merkle', 'mestorf', 'mirzakhani', 'montalcini', 'moore',
  'morse', 'moser', 'murdock', 'napier', 'nash', 'neumann', 'newton', 'nightingale',
  'nobel', 'noether', 'northcutt', 'noyce', 'panini', 'pare', 'pascal', 'pasteur',
  'payne', 'perlman', 'pike', 'poincare', 'poitras', 'proskuriakova', 'ptolemy', 'raman',
  'ramanujan', 'rhodes', 'ride', 'ritchie', 'robinson', 'roentgen', 'rosalind', 'rubin',
  'saha', 'sammet', 'sanderson', 'satoshi', 'shamir', 'shannon', 'shaw', 'shirley',
  'shockley', 'shtern', 'sinoussi', 'snyder', 'solomon', 'spence', 'stonebraker', 'sutherland',
  'swanson', 'swartz', 'swirles', 'taussig', 'tesla', 'tharp', 'thompson', 'torvalds',
  'tu', 'turing', 'varahamihira', 'vaughan', 'villani', 'visvesvaraya', 'volhard', 'wescoff',
  'wilbur', 'wiles', 'williams', 'williamson', 'wilson', 'wing', 'wozniak', 'wright',
  'wu', 'yalow', 'yonath', 'zhukovsky',
] as const;

export const NAME_ADJECTIVES: readonly string[] = ADJECTIVES;
export const NAME_SURNAMES: readonly string[] = SURNAMES;

/** Tries before moby falls back (it then uses the short container ID). */
const MOBY_TRIES = 6;
const MAX_TRIES = 1000;

function pick<T>(list: readonly T[], rand: () => number): T {
  return list[Math.floor(rand() * list.length)];
}

/**
 * moby's GetRandomName(retry): "adjective_surname", with a random digit appended on
 * retries. Steve Wozniak is not boring, so "boring_wozniak" is never produced.
 */
export function generateName(retry: number, rand: () => number = Math.random): string {
  let name: string;
  do name = `${pick(ADJECTIVES, rand)}_${pick(SURNAMES, rand)}`;
  while (name === 'boring_wozniak');
  if (retry > 0) name += String(Math.floor(rand() * 10));
  return name;
}

/**
 * A random container name not reported taken by `exists` (names are passed without
 * the leading "/"). Like moby's daemon it tries a plain name first, then names with a
 * digit; where moby would give up and use the short ID, this keeps trying, with a
 * growing numeric suffix, and throws only if every attempt is taken.
 */
export function randomName(exists: (n: string) => boolean = () => false, rand: () => number = Math.random): string {
  for (let i = 0; i < MAX_TRIES; i++) {
    let name = generateName(Math.min(i, 1), rand);
    if (i >= MOBY_TRIES) name += String(Math.floor(rand() * 10 ** Math.min(1 + Math.floor(i / 50), 6)));
    if (!exists(name)) return name;
  }
  throw new Error('could not generate a unique container name');
}

export const VALID_CONTAINER_NAME_CHARS = '[a-zA-Z0-9][a-zA-Z0-9_.-]';
const VALID_CONTAINER_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Docker's rule; note it needs at least two characters. A leading "/" is allowed. */
export function isValidContainerName(name: string): boolean {
  return VALID_CONTAINER_NAME.test(name);
}

/** The daemon's error text for a bad name (an InvalidParameter error in Docker). */
export function invalidNameMessage(name: string): string {
  return `Invalid container name (${name}), only ${VALID_CONTAINER_NAME_CHARS} are allowed`;
}
