/**
 * The role-play library: a grid of scenes (title, level range, setting, the learner's goal), with
 * a level filter. Choosing one starts it: the tutor opens the scene in role.
 */
import { useMemo, useState } from 'react';
import { CEFR_LEVELS, type CefrLevel, type Scenario } from '../api/client.js';
import { Dialog } from './dialog.js';
import { MaskIcon } from './icons.js';

interface ScenarioPickerProps {
  scenarios: readonly Scenario[];
  /** The learner's level (chosen or estimated), to suggest scenes that fit. */
  level: CefrLevel | null;
  onStart(scenario: Scenario): void;
  onClose(): void;
}

const index = (level: CefrLevel): number => CEFR_LEVELS.indexOf(level);

/** True when `level` is within the scene's range. */
export function suits(scenario: Scenario, level: CefrLevel): boolean {
  return index(scenario.level.min) <= index(level) && index(level) <= index(scenario.level.max);
}

export function ScenarioPicker({ scenarios, level, onStart, onClose }: ScenarioPickerProps) {
  const [filter, setFilter] = useState<'all' | 'mine'>(level ? 'mine' : 'all');
  const shown = useMemo(() => {
    const list = filter === 'mine' && level ? scenarios.filter((scenario) => suits(scenario, level)) : [...scenarios];
    return list.sort((a, b) => index(a.level.min) - index(b.level.min) || a.title.localeCompare(b.title));
  }, [scenarios, filter, level]);

  return (
    <Dialog title="Role-play a scene" onClose={onClose} size="wide" className="scenario-picker">
      <div className="scenario-picker__bar">
        <p className="scenario-picker__intro">The tutor plays a part and you have a goal. Use the useful phrases if you get stuck.</p>
        {level ? (
          <div className="segmented segmented--two segmented--compact" role="radiogroup" aria-label="Which scenes">
            {(['mine', 'all'] as const).map((value) => (
              <label key={value} className={filter === value ? 'segmented__option segmented__option--on' : 'segmented__option'}>
                <input type="radio" name="scenario-filter" value={value} checked={filter === value} onChange={() => setFilter(value)} />
                {value === 'mine' ? `For ${level}` : 'All scenes'}
              </label>
            ))}
          </div>
        ) : null}
      </div>
      {scenarios.length === 0 ? (
        <p className="empty-note">The scene library is not available right now.</p>
      ) : (
        <ul className="scenario-grid">
          {shown.map((scenario) => (
            <li key={scenario.id}>
              <button type="button" className="scenario-card" onClick={() => onStart(scenario)} aria-describedby={`scenario-goal-${scenario.id}`}>
                <span className="scenario-card__head">
                  <MaskIcon width="18" height="18" className="scenario-card__icon" />
                  <span className="scenario-card__title">{scenario.title}</span>
                </span>
                <span className="scenario-card__levels" aria-label={`Level ${scenario.level.min} to ${scenario.level.max}`}>
                  <span className="chip chip--level">{scenario.level.min}</span>
                  {scenario.level.max !== scenario.level.min ? (
                    <>
                      <span aria-hidden="true" className="scenario-card__dash">
                        –
                      </span>
                      <span className="chip chip--level">{scenario.level.max}</span>
                    </>
                  ) : null}
                </span>
                <span className="scenario-card__setting">{scenario.setting}</span>
                <span className="scenario-card__goal" id={`scenario-goal-${scenario.id}`}>
                  <strong>Your goal:</strong> {scenario.learnerGoal}
                </span>
                <span className="scenario-card__start" aria-hidden="true">
                  Start scene →
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}
