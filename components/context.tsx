// How panes reach the store: `useRecon(selector)` reads the paced mirror (what is drawn), and
// `useStoreApi()` gives the live store for actions, which always act on the newest state.
import { createContext, useContext } from 'react';
import type { StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { ReconState, ReconStore } from '../src/store.ts';

export interface StoreHandles {
  /** The live store: actions and key handling. */
  readonly live: ReconStore;
  /** What the panes draw from (the live store itself when not paced). */
  readonly shown: StoreApi<ReconState>;
}

export const StoreContext = createContext<StoreHandles | null>(null);

function useHandles(): StoreHandles {
  const h = useContext(StoreContext);
  if (!h) throw new Error('dashboard components need a <StoreContext.Provider>');
  return h;
}

export function useRecon<T>(selector: (s: ReconState) => T): T {
  return useStore(useHandles().shown, selector);
}

export function useStoreApi(): ReconStore {
  return useHandles().live;
}
