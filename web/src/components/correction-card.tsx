/**
 * The correction card under a learner message: the sentence with what to remove struck through
 * and what to add highlighted, then each error with its category, expandable to its rule and an
 * example (`<details>`: keyboard and screen-reader friendly as it is). Text only, never HTML.
 */
import { memo, useMemo } from 'react';
import { diffWords, type DiffPart } from '../../../src/tutor/word-diff.js';
import type { CorrectionPayload } from '../session/state.js';
import { ChevronDownIcon } from './icons.js';

/** The card's diff: the server's, or (for a conversation loaded from the store, which has none) computed here. */
export function correctionDiff(correction: CorrectionPayload): DiffPart[] {
  return correction.diff.length > 0 ? correction.diff : diffWords(correction.original, correction.corrected);
}

export const CorrectionCard = memo(function CorrectionCard({ correction }: { correction: CorrectionPayload }) {
  const diff = useMemo(() => correctionDiff(correction), [correction]);
  const count = correction.errors.length;
  return (
    <div className="correction" role="group" aria-label={`Correction: ${count} ${count === 1 ? 'mistake' : 'mistakes'}`}>
      <p className="correction__diff">
        <span className="correction__label" aria-hidden="true">
          Better:
        </span>{' '}
        <span aria-hidden="true">
          {diff.map((part, index) => (
            <span key={index}>
              {index > 0 ? ' ' : null}
              {part.type === 'removed' ? <del>{part.text}</del> : part.type === 'added' ? <ins>{part.text}</ins> : part.text}
            </span>
          ))}
        </span>
        <span className="visually-hidden">Better: {correction.corrected}</span>
      </p>
      {count > 0 ? (
        <ul className="correction__errors">
          {correction.errors.map((error, index) => (
            <li key={index}>
              <details className="correction__error">
                <summary>
                  <span className="chip chip--category">{error.category}</span>
                  <span className="correction__change">
                    {error.original ? <s>{error.original}</s> : null}
                    {error.original && error.correction ? <span aria-hidden="true"> → </span> : null}
                    {error.original && error.correction ? <span className="visually-hidden"> becomes </span> : null}
                    {error.correction ? <b>{error.correction}</b> : <span className="correction__drop">(leave it out)</span>}
                  </span>
                  <ChevronDownIcon width="16" height="16" className="correction__chevron" />
                </summary>
                <div className="correction__explain">
                  {error.rule ? <p className="correction__rule">{error.rule}</p> : null}
                  {error.example ? (
                    <p className="correction__example">
                      <span className="correction__example-label">Example</span> {error.example}
                    </p>
                  ) : null}
                </div>
              </details>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
});
