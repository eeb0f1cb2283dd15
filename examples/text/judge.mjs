// A judge for the sample set, written as a user would: kind words and the person's name score, rudeness and
// rambling cost. selm-ts loads this module once per run (ranker {"kind": "module", "path": ...}) and calls
// score(prompt, response) on texts; it could export rank(prompt, responses) instead.
const KIND = ['hello', 'hi', 'thank', 'thanks', 'wonderful', 'good', 'nice', 'lovely', 'have a'];
const RUDE = ['go away', 'whatever', 'leave me alone', 'did not want', 'what do you want'];

export function score(prompt, response) {
  const text = response.toLowerCase();
  const name = /\b(?:to|Thank|Wish) (\p{Lu}\p{L}*)/u.exec(prompt)?.[1];
  let s = 0;
  if (name && response.includes(name)) s += 1;
  if (KIND.some((w) => text.includes(w))) s += 1;
  if (RUDE.some((w) => text.includes(w))) s -= 1;
  if (/[!.]$/.test(response.trim())) s += 0.25;
  s -= Math.max(0, response.length - 40) * 0.02;
  return s;
}
