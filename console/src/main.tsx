import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, post, setCsrfToken, whenSignedOut } from './api';
import { Loading, ErrorBox } from './components/ui';
import { CheckinScreen } from './pages/checkin-screen';
import { CheckinPage, CheckinsPage } from './pages/checkins';
import { ComposePage } from './pages/compose';
import { GroupPage, GroupsPage } from './pages/groups';
import { LoginPage } from './pages/login';
import { NoticePage, NoticesPage } from './pages/notices';
import { BotRulesPage } from './pages/ops-bot';
import { ConversationPage, ConversationsPage } from './pages/ops-conversations';
import { OverviewPage } from './pages/ops-overview';
import { SendsPage } from './pages/ops-sends';
import { currentRoute, match, navigate, useRoute } from './router';
import { SessionContext } from './session';
import type { SessionView } from './types';

interface Screen {
  pattern: string;
  title: string;
  render: (params: Record<string, string>) => preact.JSX.Element;
}

const OPERATOR: Screen[] = [
  { pattern: '/ops', title: '运行概况', render: () => <OverviewPage /> },
  { pattern: '/ops/sends', title: '发送统计', render: () => <SendsPage /> },
  { pattern: '/ops/bot', title: '机器人规则', render: () => <BotRulesPage /> },
  { pattern: '/ops/conversations', title: '客服会话', render: () => <ConversationsPage /> },
  {
    pattern: '/ops/conversations/:openid',
    title: '会话',
    render: (p) => <ConversationPage openid={p.openid ?? ''} />,
  },
];

const PUBLISHER: Screen[] = [
  { pattern: '/groups', title: '我的群组', render: () => <GroupsPage /> },
  { pattern: '/groups/:id', title: '群组', render: (p) => <GroupPage id={p.id ?? ''} /> },
  { pattern: '/notices', title: '通知', render: () => <NoticesPage /> },
  { pattern: '/notices/new', title: '发布通知', render: () => <ComposePage /> },
  { pattern: '/notices/:id', title: '通知进度', render: (p) => <NoticePage id={p.id ?? ''} /> },
  { pattern: '/checkins', title: '会议签到', render: () => <CheckinsPage /> },
  { pattern: '/checkins/:id', title: '签到', render: (p) => <CheckinPage id={p.id ?? ''} /> },
  { pattern: '/checkins/:id/screen', title: '签到码', render: (p) => <CheckinScreen id={p.id ?? ''} /> },
];

const NAV: Record<SessionView['kind'], { route: string; label: string }[]> = {
  operator: [
    { route: '/ops', label: '运行概况' },
    { route: '/ops/sends', label: '发送统计' },
    { route: '/ops/bot', label: '机器人规则' },
    { route: '/ops/conversations', label: '客服会话' },
  ],
  publisher: [
    { route: '/groups', label: '我的群组' },
    { route: '/notices', label: '通知' },
    { route: '/checkins', label: '会议签到' },
  ],
};

function App() {
  const route = useRoute();
  const [session, setSession] = useState<SessionView | null | undefined>(undefined);
  const [bootError, setBootError] = useState<unknown>(null);
  const main = useRef<HTMLElement>(null);

  const signedIn = (s: SessionView) => {
    setCsrfToken(s.csrfToken);
    setSession(s);
    const screens = s.kind === 'operator' ? OPERATOR : PUBLISHER;
    const here = currentRoute();
    if (!screens.some((x) => match(x.pattern, here))) navigate(s.kind === 'operator' ? '/ops' : '/groups');
  };
  const signedOut = () => {
    setCsrfToken(null);
    setSession(null);
  };

  useEffect(() => {
    whenSignedOut(signedOut);
    get<SessionView>('/api/console/session').then(signedIn, (err: unknown) => {
      if (err instanceof ApiError && err.signedOut) signedOut();
      else setBootError(err);
    });
  }, []);

  // A new page: its title for the tab and screen readers, and the focus at its start.
  const screens = session?.kind === 'operator' ? OPERATOR : PUBLISHER;
  const found = screens.map((s) => ({ s, params: match(s.pattern, route) })).find((x) => x.params);
  useEffect(() => {
    document.title = `${found?.s.title ?? '控制台'} · 提醒`;
    main.current?.focus({ preventScroll: true });
  }, [route, session?.kind]);

  if (bootError) return <ErrorBox error={bootError} />;
  if (session === undefined) return <Loading label="正在连接…" />;
  if (session === null) return <LoginPage onSignedIn={signedIn} />;

  const logout = () => {
    void post('/api/console/logout').finally(signedOut);
  };
  const fullScreen = route.endsWith('/screen');
  // The nav item of this page: the longest whose route this one is, or is under.
  const current = NAV[session.kind]
    .map((item) => item.route)
    .filter((r) => route === r || route.startsWith(`${r}/`))
    .sort((a, b) => b.length - a.length)[0];
  return (
    <SessionContext.Provider value={{ session, signOut: logout }}>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), main.current?.focus())}>
        跳到正文
      </a>
      {!fullScreen && (
        <header class="top">
          <span class="brand">提醒 · {session.kind === 'operator' ? '运维控制台' : '发布者控制台'}</span>
          {session.sandbox && <span class="badge warn">沙箱模式</span>}
          <nav aria-label="主导航">
            <ul>
              {NAV[session.kind].map((item) => (
                <li key={item.route}>
                  <a href={`#${item.route}`} aria-current={item.route === current ? 'page' : undefined}>
                    {item.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <button type="button" class="secondary small" onClick={logout}>
            退出登录
          </button>
        </header>
      )}
      <main id="main" ref={main} tabIndex={-1} class={fullScreen ? 'full' : ''}>
        {found ? found.s.render(found.params ?? {}) : <NotFound home={NAV[session.kind][0]?.route ?? '/'} />}
      </main>
    </SessionContext.Provider>
  );
}

function NotFound({ home }: { home: string }) {
  return (
    <div class="card">
      <h1>页面不存在</h1>
      <p>
        <a href={`#${home}`}>回到首页</a>
      </p>
    </div>
  );
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
