import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { SessionView } from './types';

export interface SessionState {
  session: SessionView;
  signOut: () => void;
}

export const SessionContext = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession() outside the signed-in app');
  return state;
}
