package dev.elector.spring;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import org.springframework.aop.MethodMatcher;
import org.springframework.aop.framework.Advised;
import org.springframework.aop.framework.autoproxy.AbstractBeanFactoryAwareAdvisingPostProcessor;
import org.springframework.aop.support.AopUtils;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.util.ReflectionUtils;

/**
 * Proxies (CGLIB) every bean with a {@link LeaderOnly} method so that the method runs only on the leader.
 *
 * <p>A {@link LeaderOnly} method is one the pointcut matches: annotated itself, or overriding or implementing an
 * annotated method of a superclass or interface. Every such method is checked when its bean is proxied, and once all
 * singletons exist, every singleton with such a method must be this processor's proxy: one that never passed through
 * it (registered as a ready-made object, or created before post-processors ran) would run its methods on every
 * instance, so startup fails naming it.
 */
public class LeaderOnlyPostProcessor extends AbstractBeanFactoryAwareAdvisingPostProcessor
    implements SmartInitializingSingleton {
  private static final long serialVersionUID = 1L;
  private static final AnnotationMatchingPointcut POINTCUT = new AnnotationMatchingPointcut(null, LeaderOnly.class,
      true);

  public LeaderOnlyPostProcessor() {
    setProxyTargetClass(true);
    // Outermost: a call that is skipped must not reach other advice (transactions, retries) either.
    setBeforeExistingAdvisors(true);
  }

  /**
   * Rejects a {@link LeaderOnly} method the proxy cannot guard, before it could run on every instance: final,
   * private or static methods (CGLIB cannot intercept them) and primitive results (a skipped call has none).
   */
  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) {
    Class<?> type = AopUtils.getTargetClass(bean);
    ReflectionUtils.doWithMethods(type, m -> check(m, beanName), m -> leaderOnly(m, type));
    return super.postProcessAfterInitialization(bean, beanName);
  }

  private static boolean leaderOnly(Method m, Class<?> type) {
    MethodMatcher matcher = POINTCUT.getMethodMatcher();
    return m.getDeclaringClass() != Object.class && matcher.matches(m, type);
  }

  private static void check(Method m, String beanName) {
    int mod = m.getModifiers();
    String rule = Modifier.isFinal(mod) || Modifier.isPrivate(mod) || Modifier.isStatic(mod)
        ? "must not be final, private or static: the proxy could not keep it from running on every instance"
        : m.getReturnType().isPrimitive() && m.getReturnType() != void.class
            ? "must return void or an object: a call skipped on a follower returns null"
            : null;
    if (rule != null) {
      throw new IllegalStateException("@LeaderOnly method " + m.getDeclaringClass().getName() + "." + m.getName()
          + " of bean '" + beanName + "' " + rule);
    }
  }

  /** Fails startup if a singleton with a {@link LeaderOnly} method is not guarded by this processor's proxy. */
  @Override
  public void afterSingletonsInstantiated() {
    if (beanFactory == null) {
      return; // not a listable factory: nothing to look through
    }
    for (String name : beanFactory.getSingletonNames()) {
      Object bean = beanFactory.getSingleton(name);
      // Beans this processor proxied were checked as it did; only the others need their methods looked through.
      if (bean == null || bean == this || guarded(bean)) {
        continue;
      }
      Class<?> type = AopUtils.getTargetClass(bean);
      if (ReflectionUtils.getUniqueDeclaredMethods(type, m -> leaderOnly(m, type)).length > 0) {
        throw new IllegalStateException("Bean '" + name + "' (" + type.getName() + ") has @LeaderOnly methods but "
            + "was not proxied by " + getClass().getSimpleName() + ", so they would run on every instance: it was "
            + "registered as a ready-made object or created before bean post-processors ran (for example by a "
            + "BeanPostProcessor's own dependencies); declare it as an ordinary bean");
      }
    }
  }

  private boolean guarded(Object bean) {
    return bean instanceof Advised a && Arrays.stream(a.getAdvisors()).anyMatch(x -> x == advisor);
  }

  @Override
  public void setBeanFactory(BeanFactory beanFactory) {
    super.setBeanFactory(beanFactory);
    this.advisor = new DefaultPointcutAdvisor(POINTCUT,
        new LeaderOnlyInterceptor(beanFactory.getBeanProvider(ElectorCandidate.class)));
  }
}
